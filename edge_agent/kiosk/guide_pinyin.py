"""Pinyin of many texts in a short-lived child process, so that the agent never holds
pypinyin's phrase tables (``edge_agent.kiosk.guide_index.pinyin_table`` says why).

stdin: a JSON list of texts; stdout: a JSON list of ``[full pinyin, initials]``, one per text,
not yet normalised. Run as a script (``python -P guide_pinyin.py``): it imports nothing of ours.
"""

import json
import sys

from pypinyin import Style, lazy_pinyin


def main() -> None:
    texts = json.load(sys.stdin)
    rows = [
        [
            "".join(lazy_pinyin(text, style=Style.NORMAL)),
            "".join(lazy_pinyin(text, style=Style.FIRST_LETTER)),
        ]
        for text in texts
    ]
    json.dump(rows, sys.stdout, ensure_ascii=False)


if __name__ == "__main__":
    main()
