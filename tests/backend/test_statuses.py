from backend.statuses import ALLOWED_TRANSITIONS, OPEN_STATUSES, CaseStatus, can_transition

S = CaseStatus


def test_every_status_is_reachable_from_new() -> None:
    seen, frontier = {S.NEW}, [S.NEW]
    while frontier:
        for nxt in ALLOWED_TRANSITIONS[frontier.pop()]:
            if nxt not in seen:
                seen.add(nxt)
                frontier.append(nxt)
    assert seen == set(CaseStatus)


def test_every_status_can_end_closed() -> None:
    for status in CaseStatus:
        seen, frontier = {status}, [status]
        while frontier:
            for nxt in ALLOWED_TRANSITIONS[frontier.pop()]:
                if nxt not in seen:
                    seen.add(nxt)
                    frontier.append(nxt)
        assert S.CLOSED in seen, status


def test_closed_is_final_and_new_cannot_jump_to_resolved() -> None:
    assert ALLOWED_TRANSITIONS[S.CLOSED] == frozenset()
    assert not can_transition(S.NEW, S.RESOLVED)
    assert not can_transition(S.ROUTED, S.RESOLVED)
    assert can_transition(S.IN_MEDIATION, S.RESOLVED)
    assert can_transition(S.RESOLVED, S.IN_MEDIATION)  # agreement not kept: reopened


def test_open_statuses_exclude_finished_ones() -> None:
    assert S.ROUTED in OPEN_STATUSES and S.ESCALATED in OPEN_STATUSES
    assert not {S.RESOLVED, S.FAILED, S.WITHDRAWN, S.CLOSED} & OPEN_STATUSES
