"""All core models, importable from one place."""
from core.models.concerns import (
    Alert,
    Attachment,
    Concern,
    ConcernCategory,
    ConcernCategoryLink,
    ConcernEntry,
    ConcernPupil,
)
from core.models.contacts import AgencyContact
from core.models.families import FamilySuggestionDismissal
from core.models.family_suggestions import FamilySuggestion, FamilySuggestionDecision
from core.models.host import AuditEntry, JobRun, MailMessage, PluginSetting
from core.models.lead_work import (BoardNarrative, BoardReportSnapshot, CaseStudy,
                                   CaseStudyVersion)
from core.models.mis import (MisImport, MisLayout, MisLeaverCheck, MisReviewItem, PupilCarer,
                             PupilMisRecord)
from core.models.people import (
    ApiToken,
    LoginAttempt,
    Membership,
    RecoveryCode,
    TotpDevice,
    User,
    WebSession,
)
from core.models.pupils import FamilyLink, Pupil, PupilChange, PupilFlag
from core.models.retention import LegalHold
from core.models.tenancy import NonSchoolDay, School, Term, Trust, TrustSetting

__all__ = [
    "AgencyContact", "Alert", "ApiToken", "Attachment", "AuditEntry", "BoardNarrative",
    "BoardReportSnapshot", "CaseStudy", "CaseStudyVersion", "Concern",
    "ConcernCategory", "ConcernCategoryLink", "ConcernEntry", "ConcernPupil", "FamilyLink",
    "FamilySuggestion", "FamilySuggestionDecision", "FamilySuggestionDismissal", "JobRun",
    "LegalHold", "LoginAttempt", "MailMessage",
    "Membership", "MisImport", "MisLayout", "MisLeaverCheck", "MisReviewItem", "NonSchoolDay",
    "PluginSetting", "Pupil", "PupilCarer", "PupilChange", "PupilFlag", "PupilMisRecord",
    "RecoveryCode", "School", "Term", "TotpDevice", "Trust", "TrustSetting", "User", "WebSession",
]
