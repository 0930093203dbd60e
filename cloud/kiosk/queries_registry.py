"""The convenience queries declared by the department modules (``departments.MODULES``), and
each configured module's adapter (``kiosk_departments`` names the endpoint per department
code), built once per app."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from types import ModuleType

from cloud.kiosk.departments.base import Department, DepartmentNotConfigured, QueryDecl
from cloud.kiosk.errors import KioskError
from cloud.settings_kiosk import DepartmentEndpoint

log = logging.getLogger(__name__)


class UnknownQuery(KioskError):
    status_code = 404
    code = "unknown_query"

    def __init__(self, code: str) -> None:
        super().__init__(
            f"no query {code!r} is declared",
            "没有这项查询，请返回重新选择。",
            "There is no such query. Please go back and choose again.",
        )


class QueryRegistry:
    def __init__(
        self, modules: Iterable[ModuleType], endpoints: dict[str, DepartmentEndpoint]
    ) -> None:
        self.decls: dict[str, QueryDecl] = {}
        #: query code → its module's adapter and that department's timeout (configured only)
        self._adapters: dict[str, tuple[Department, float]] = {}
        self._built: list[Department] = []
        for module in modules:
            decls: list[QueryDecl] = list(module.QUERIES)
            for decl in decls:
                if decl.code in self.decls:
                    raise ValueError(f"query {decl.code!r} is declared twice")
                self.decls[decl.code] = decl
            codes = {d.department for d in decls}
            if len(codes) != 1:
                raise ValueError(f"{module.__name__}: queries of one department, got {codes}")
            endpoint = endpoints.get(decls[0].department)
            if endpoint is None:
                continue
            adapter: Department = module.build(endpoint)
            self._built.append(adapter)
            for decl in decls:
                self._adapters[decl.code] = (adapter, endpoint.timeout_s)

    def decl(self, code: str) -> QueryDecl:
        decl = self.decls.get(code)
        if decl is None:
            raise UnknownQuery(code)
        return decl

    def available(self, decl: QueryDecl) -> bool:
        return decl.code in self._adapters

    def department(self, decl: QueryDecl) -> tuple[Department, float]:
        """The adapter answering ``decl`` and its timeout in seconds."""
        got = self._adapters.get(decl.code)
        if got is None:
            raise DepartmentNotConfigured(
                decl.department,
                "not configured (kiosk_departments)",
                "该查询服务暂未开通，请到窗口办理。",
                "This query is not available yet. Please ask at a window.",
            )
        return got

    async def close(self) -> None:
        for adapter in self._built:
            try:
                await adapter.close()
            except Exception:  # one adapter's failure to close must not keep the others open
                log.exception("closing department %s", adapter.code)
