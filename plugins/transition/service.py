"""The transition plugin's public rules: what its pages, API, jobs, CLI, panels and hooks
call. No Flask here.

The rules live in private modules beside this one, each with one responsibility; callers
import this module only, so those modules can be split or merged without touching them:

- :mod:`.transfers`: a transfer's life on the sender's side and, inside the trust, the
  receiver's (find, prepare, send, fail, confirm), its append-only events;
- :mod:`.receiving`: the receiving DSL reads, confirms, accepts or rejects a file;
- :mod:`.exchange`: outside the trust, an encrypted bundle, a one-time link, a receipt;
- :mod:`.incoming`: a file expected from a school not on the platform;
- :mod:`.cohort`: the Year 6 leavers in one action;
- :mod:`.deadlines_watch`: KCSIE deadlines, reminders and the trust's figures;
- :mod:`.timeline`: the pupil's chronology and earlier files for a new transfer;
- :mod:`.missing`: a pupil off roll with no known destination (children missing education):
  the local authority to be told by its deadline, enquiries;
- :mod:`.package`, :mod:`.bundle`, :mod:`.deadlines`: formats and calendar arithmetic.
"""
from __future__ import annotations

from plugins.transition.cohort import CohortResult, prepare_cohort, year6_leavers
from plugins.transition.deadlines import RULE_LABELS
from plugins.transition.deadlines_watch import METRICS, Watch, metrics, metrics_many, reminders, \
    watch
from plugins.transition.exchange import (
    Export,
    LinkRefused,
    check_link,
    export_bundle,
    import_bundle,
    record_receipt,
    sent_bundle,
    take_link,
)
from plugins.transition.incoming import METHODS as INCOMING_METHODS
from plugins.transition.incoming import attachment as incoming_attachment
from plugins.transition.incoming import chase as chase_incoming
from plugins.transition.incoming import expect as expect_incoming
from plugins.transition.incoming import history as incoming_history
from plugins.transition.incoming import outstanding as incoming_outstanding
from plugins.transition.incoming import record_received as record_incoming_received
from plugins.transition.missing import all_cases as missing_cases
from plugins.transition.missing import case_of_pupil as missing_case_of_pupil
from plugins.transition.missing import history as missing_history
from plugins.transition.missing import on_pupil_event as missing_on_pupil_event
from plugins.transition.missing import outstanding as missing_outstanding
from plugins.transition.missing import record_enquiry as record_missing_enquiry
from plugins.transition.missing import record_la_notified
from plugins.transition.receiving import (
    accept,
    confirm_receipt,
    read_package,
    read_received,
    received_files,
    reject,
)
from plugins.transition.timeline import (
    chronology,
    earlier_files,
    refuse_entries_after_handover,
)
from plugins.transition.transfers import (
    Side,
    events_of,
    in_trust_destination,
    inbox,
    load,
    mark_failed,
    on_pupil_event,
    open_transfer,
    outgoing,
    packages_of,
    prepare,
    preview,
    record_confirmation,
    send_in_trust,
    transfer_of_pupil,
)

__all__ = [
    "INCOMING_METHODS", "METRICS", "RULE_LABELS", "CohortResult", "Export", "LinkRefused",
    "Side", "Watch", "accept", "chase_incoming", "check_link", "chronology", "confirm_receipt",
    "earlier_files", "events_of", "expect_incoming", "export_bundle", "import_bundle",
    "in_trust_destination", "inbox", "incoming_attachment", "incoming_history",
    "incoming_outstanding", "load", "mark_failed", "metrics", "metrics_many",
    "missing_case_of_pupil", "missing_cases", "missing_history", "missing_on_pupil_event",
    "missing_outstanding", "on_pupil_event",
    "open_transfer", "outgoing", "packages_of", "prepare", "prepare_cohort", "preview",
    "read_package", "read_received", "received_files", "record_confirmation",
    "record_la_notified", "record_missing_enquiry",
    "record_incoming_received", "record_receipt", "refuse_entries_after_handover", "reject",
    "reminders", "send_in_trust", "sent_bundle", "take_link", "transfer_of_pupil", "watch",
    "year6_leavers",
]
