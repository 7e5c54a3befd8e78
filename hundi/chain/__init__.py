"""Chain access: compile artifacts, deployment files, typed contract handles and EIP-712 oracle reports."""

from hundi.chain.deployment import Deployment, HundiContracts, load_deployment
from hundi.chain.errors import ArtifactsMissing, ChainError, DeploymentError
from hundi.chain.reports import (
    Repayment,
    Verification,
    repayment_digest,
    report_domain,
    sign_report,
    sorted_signatures,
    verification_digest,
)

__all__ = [
    "ArtifactsMissing",
    "ChainError",
    "Deployment",
    "DeploymentError",
    "HundiContracts",
    "Repayment",
    "Verification",
    "load_deployment",
    "repayment_digest",
    "report_domain",
    "sign_report",
    "sorted_signatures",
    "verification_digest",
]
