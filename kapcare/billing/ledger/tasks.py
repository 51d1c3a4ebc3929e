"""The ledger's background work (kapcare/queue.py): a completed dose's charges and a late
cancellation's or no-show's fee, posted once the change commits. Both are idempotent
(unique constraints), so a task run twice, or the minute job catching up, never doubles."""

from django_tasks import task

from kapcare import queue


@task()
def post_session_charges_task(session_id: int) -> str:
    from kapcare.billing.ledger import services
    from kapcare.billing.tasks import SYSTEM

    posted = services.post_session_charges(actor=SYSTEM, session_id=session_id)
    return f"posted {len(posted)} lines"


@task()
def post_fee_task(session_change_id: int) -> str:
    from kapcare.billing.ledger import services
    from kapcare.billing.tasks import SYSTEM

    fee = services.post_fee(actor=SYSTEM, session_change_id=session_change_id)
    return "no fee" if fee is None else f"fee {fee.total}"


def enqueue_session_charges(session_id: int) -> None:
    queue.enqueue_on_commit(post_session_charges_task, session_id)


def enqueue_fee(session_change_id: int) -> None:
    queue.enqueue_on_commit(post_fee_task, session_change_id)
