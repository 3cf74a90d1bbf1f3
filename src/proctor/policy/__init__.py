"""Policy: Cedar schema, default policies, permission matrix, evaluation and explanation.

Facts are computed in Python by the gateway; judgment is made here, in Cedar. See
``docs/policy.md`` for the schema, the default rules and the three-outcome rule.
"""

from proctor.policy._arguments import (
    ARGUMENT_TYPES,
    ArgumentTypes,
    argument_types,
    schema_for,
    typed_arguments,
)
from proctor.policy._compile import InvalidPolicies, PolicyInfo, validate_documents
from proctor.policy._engine import CacheInfo, PolicyEngine
from proctor.policy._explain import Explanation, Match
from proctor.policy._facts import (
    CallFacts,
    MonitorFacts,
    PolicyInput,
    ProvenanceFacts,
    RequesterFacts,
    ResourceFacts,
    SessionFacts,
    TaskFacts,
)
from proctor.policy._judge import Judgment
from proctor.policy._matrix import compile_matrix
from proctor.policy._resources import default_documents, schema_text
from proctor.policy._source import Diagnostic, PolicyDocument
from proctor.policy._store import PolicyStore, StoredPolicy

__all__ = [
    "ARGUMENT_TYPES",
    "ArgumentTypes",
    "CacheInfo",
    "CallFacts",
    "Diagnostic",
    "Explanation",
    "InvalidPolicies",
    "Judgment",
    "Match",
    "MonitorFacts",
    "PolicyDocument",
    "PolicyEngine",
    "PolicyInfo",
    "PolicyInput",
    "PolicyStore",
    "ProvenanceFacts",
    "RequesterFacts",
    "ResourceFacts",
    "SessionFacts",
    "StoredPolicy",
    "TaskFacts",
    "argument_types",
    "compile_matrix",
    "default_documents",
    "schema_for",
    "schema_text",
    "typed_arguments",
    "validate_documents",
]
