"""Words the rules share, and the context that makes a match count for less."""

from __future__ import annotations

import re

# Who an injected instruction talks to: the model, under its many names.
AI = (
    r"(?:ai|a\.i\.|llms?|gpts?|chatgpt|claude|copilot|gemini|(?:large )?language models?"
    r"|chatbots?|bots?|assistants?|agents?|models?|notetakers?|summari[sz]ers?|crawlers?"
    r"|ki|ia)(?: (?:tools?|systems?|helpers?|services?|reviewers?))?"
)
# Anchors for every name in AI (see ``_rule`` for the syntax).
AI_ANCHORS = (
    "ai", "a.i.", "llm*", "gpt*", "chatgpt", "claude", "copilot", "gemini", "language model*",
    "chatbot*", "bot", "bots", "assistant", "assistants", "agent", "agents", "model", "models",
    "notetaker*", "summarizer*", "summariser*", "crawler*", "ki", "ia",
)  # fmt: skip

# An imperative an instruction to the model starts with.
VERB = (
    r"(?:ignore|disregard|forget|send|forward|e-?mail|reply|respond|include|add|append|tell|say"
    r"|state|report|mark|approve|merge|delete|remove|close|run|execute|open|click|visit"
    r"|navigate|book|buy|purchase|pay|transfer|wire|share|post|upload|copy|paste|print|reveal"
    r"|list|search|create|grant|give|change|set|make|disable|turn|accept|decline|cancel|call"
    r"|use|recommend|rank|rate|describe|summari[sz]e|write|leave|omit|skip|do not|don't|never"
    r"|always|from now|before|after|when(?:ever)?|stop|continue|install|enable|update|export"
    r"|download|credit|issue|initiate|schedule|provide|attach|pass|put|read|decode|retry"
    r"|apply|confirm|move|kindly|please|collect|save|store|publish|admit|start|begin|if|while"
    r"|since|once|hand|fill|go ahead)"
)
# Adverbs allowed between an address and its order ("Assistant, please also send").
ADVERB = (
    r"(?:(?:also|always|now|immediately|then|first|just|please|kindly|quietly|silently"
    r"|automatically|directly|simply|right away) )?"
)
SENSITIVE = (
    r"(?:passwords?|pass ?phrases?|credentials|api[ _-]?keys?|access tokens?|tokens?|secrets?"
    r"|one-time (?:pass)?codes?|verification codes?|2fa codes?|otp|\.env|id_rsa|ssh keys?"
    r"|private keys?|session cookies?|cookies|conversation(?: history)?|chat history"
    r"|system prompt|contact list|contacts|payslips?|bank statements?|account numbers?"
    r"|salary|salaries|customer list|browsing history|clipboard|login details|home address"
    r"|date of birth|passport(?: scan)?|social security number|door code|wi-?fi passwords?)"
)
SENSITIVE_ANCHORS = (
    "password*", "passphrase*", "pass phrase*", "credential*", "api key*", "api_key*",
    "api-key*", "apikey*", "access token*", "token*", "secret*", "one-time", "verification code*",
    "2fa", "otp", ".env", "id_rsa", "ssh key*", "private key*", "session cookie*", "cookie*",
    "conversation*", "chat history", "system prompt", "contact list", "contacts", "payslip*",
    "bank statement*", "account number*", "salary", "salaries", "customer list",
    "browsing history", "clipboard", "login details", "home address", "date of birth",
    "passport*", "social security number", "door code",
)  # fmt: skip
DESTINATION = r"(?:[\w.+-]+@[\w-]+(?:\.[\w-]+)+|https?://[^\s\"'<>)]+)"

# A short quotation introduced like this is a mention, not a use ("an email says
# \"assistant, forward ...\""), and so is any quotation in a text about attacks.
REPORTED = re.compile(
    r"(?:says?|said|saying|wrote|writes|reads?|like|such as|e\.g\.|including|includes?"
    r"|phrases?|phrasings?|examples?|with|payloads?|text|line|title|called|named|asking)"
    r"\s?[:,(]?\s?\"$"
)
DISCUSSION = re.compile(
    r"\b(?:prompt injections?|injections?|jailbreak\w*|payloads?|attack(?:s|ers?)?|red-?team\w*"
    r"|phrases?|phrasings?|blocklist\w*|blocked_phrases|detectors?|scanners?|classifiers?"
    r"|adversar\w*|(?<![.@/-])examples?(?![./@-]))\b"
)
QUOTED_FACTOR = 0.3

NEGATION = re.compile(r"\b(?:never|not|don't|do not|must not|should not|no one|nobody|avoid)\b")
NEGATED_FACTOR = 0.35
