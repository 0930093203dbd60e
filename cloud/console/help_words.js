// kfleet console: the call centre's words (help.html, help_history.html), zh-CN and English.
"use strict";

const kfHelpWords = (() => {
  const T = {
    "zh-CN": {
      title: "视频帮办", duty: "值班", goOnDuty: "开始值班", goOffDuty: "结束值班", onDutyNow: "当前值班",
      meOn: "您正在值班：有呼叫时会响铃", meOff: "您未在值班：不会响铃", nobody: "无人值班",
      queue: "呼叫队列", ringing: "来电", since: "呼叫时间", site: "站点", device: "终端", screen: "所在页面",
      state: "状态", action: "操作", empty: "暂无呼叫", history: "通话记录", accept: "接听",
      taken: "这次呼叫已被其他工作人员接听。", inCall: "通话中", kioskVideo: "终端画面", myVideo: "我的画面",
      mute: "静音", unmute: "取消静音", cameraOff: "关闭摄像头", cameraOn: "打开摄像头",
      outcome: "结果", solved: "已解决", referred: "转窗口/转办", dropped: "中断", note: "备注", end: "结束通话",
      ended: "通话已结束。", endedByKiosk: "市民已结束通话。", connecting: "正在连接画面…", connected: "画面已接通",
      noCamera: "无法打开您的摄像头或麦克风：市民只能看到文字。原因：", noKioskVideo: "终端画面暂不可用：",
      soundHint: "点击页面任意位置后，来电会响铃提示。", position: "排队",
      s_waiting: "等待中", s_ringing: "响铃中", s_active: "通话中", s_ended: "已结束", s_missed: "未接", s_cancelled: "已取消",
      cobrowse: "远程协助", materials: "材料审核",
      historyTitle: "通话记录", day: "日期", operator: "接听人", allOutcomes: "全部结果", show: "查看",
      created: "呼叫时间", wait: "等待", duration: "通话时长", reason: "说明", missedOnly: "仅未接",
      none: "没有符合条件的通话", count: "条记录", seconds: "秒", more: "更多",
      recording: "录像", play: "回放", recKiosk: "市民一侧", recOperator: "工作人员一侧", close: "关闭",
      recNone: "本次通话没有可回放的录像", recNoRight: "回放录像需要 help.recordings 权限（管理员、审计员）",
      rec_complete: "完整", rec_failed: "中断", rec_empty: "无画面", rec_deleted: "已过保存期删除", rec_recording: "录制中",
    },
    en: {
      title: "Video help", duty: "Duty", goOnDuty: "Go on duty", goOffDuty: "Go off duty", onDutyNow: "On duty now",
      meOn: "You are on duty: calls will ring", meOff: "You are off duty: calls will not ring", nobody: "nobody",
      queue: "Call queue", ringing: "Ringing", since: "Called at", site: "Site", device: "Kiosk", screen: "Screen",
      state: "State", action: "Action", empty: "No calls waiting", history: "Call history", accept: "Answer",
      taken: "Another staff member answered this call.", inCall: "In a call", kioskVideo: "The kiosk", myVideo: "Me",
      mute: "Mute", unmute: "Unmute", cameraOff: "Camera off", cameraOn: "Camera on",
      outcome: "Outcome", solved: "Solved", referred: "Referred to a window", dropped: "Dropped", note: "Note", end: "End the call",
      ended: "The call has ended.", endedByKiosk: "The citizen ended the call.", connecting: "Connecting the video…", connected: "Video connected",
      noCamera: "Your camera or microphone could not be opened; the citizen sees no picture of you. Why: ", noKioskVideo: "The kiosk's video is unavailable: ",
      soundHint: "Click anywhere on the page once so incoming calls can ring.", position: "Queue",
      s_waiting: "waiting", s_ringing: "ringing", s_active: "in a call", s_ended: "ended", s_missed: "missed", s_cancelled: "cancelled",
      cobrowse: "Remote operation", materials: "Material review",
      historyTitle: "Call history", day: "Day", operator: "Answered by", allOutcomes: "All outcomes", show: "Show",
      created: "Called at", wait: "Wait", duration: "Duration", reason: "Details", missedOnly: "Missed only",
      recording: "Recording", play: "Play", recKiosk: "Citizen's side", recOperator: "Staff side", close: "Close",
      recNone: "This call has no recording to play", recNoRight: "Playing recordings needs help.recordings (administrators, auditors)",
      rec_complete: "complete", rec_failed: "cut short", rec_empty: "no picture", rec_deleted: "deleted after retention", rec_recording: "recording",
      none: "No calls match", count: "record(s)", seconds: "s", more: "More",
    },
  }[kf.LANG];
  const t = (key) => T[key] ?? key;
  for (const node of document.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);

  /** "12 s", "3 min 4 s" between two ISO times ("" when one is missing). */
  function span(fromIso, toIso) {
    if (!fromIso || !toIso) return "";
    const s = Math.max(0, Math.round((new Date(toIso) - new Date(fromIso)) / 1000));
    if (s < 60) return kf.LANG === "en" ? `${s} s` : `${s} 秒`;
    const m = Math.floor(s / 60);
    return kf.LANG === "en" ? `${m} min ${s % 60} s` : `${m} 分 ${s % 60} 秒`;
  }

  return { t, span };
})();
