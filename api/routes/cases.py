"""One 图斑 case: read it with its history, and apply workflow actions to it."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import ClockDep, StoreDep
from api.schemas import ActionRequest, CasePublic
from storage.repository import CaseStore

router = APIRouter(prefix="/api/cases", tags=["cases"])


def _public(store: CaseStore, case_id: int) -> CasePublic:
    row = store.get_case_row(case_id)
    return CasePublic.build(
        row,
        store.get_case(case_id),
        store.events(case_id),
        issuances=store.issuances(case_id),
        site_cases=store.site_cases(case_id),
    )


@router.get("/{case_id}", operation_id="cases-get")
def get_case(case_id: int, store: StoreDep) -> CasePublic:
    return _public(store, case_id)


@router.post("/{case_id}/actions", operation_id="cases-act")
def act(case_id: int, body: ActionRequest, store: StoreDep, clock: ClockDep) -> CasePublic:
    store.apply_action(
        case_id,
        body.action,
        actor=body.actor,
        payload=body.payload,
        expected_version=body.expected_version,
        now=clock(),
    )
    return _public(store, case_id)
