"""Words the rules share, and the context that makes a match count for less."""

from __future__ import annotations

import re

# Who an injected instruction talks to: the model, under its many names.
AI = (
    r"(?:ai|a\.i\.|llms?|gpts?|chatgpt|claude|copilot|gemini|(?:large )?language models?"
    r"|chatbots?|bots?|assistants?|agents?|models?|notetakers?|summari[sz]ers?|crawlers?"
    r"|ki|ia)(?: (?:[a-z]+ )?(?:tools?|systems?|helpers?|services?|reviewers?|graders?"
    r"|moderators?|screeners?|triagers?|assistants?|agents?))?"
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
    r"|since|once|hand|fill|go ahead|help|output|comment|label|assign)"
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
    r"|date of birth|passport(?: scan)?|social security number|door code|wi-?fi passwords?"
    r"|mots? de passe|codes? d'accès|contraseñas?|claves? de acceso|passw[oö]rt(?:er)?"
    r"|kennw[oö]rt(?:er)?|zugangsdaten|senhas?)"
)
SENSITIVE_ANCHORS = (
    "password*", "passphrase*", "pass phrase*", "credential*", "api key*", "api_key*",
    "api-key*", "apikey*", "access token*", "token*", "secret*", "one-time", "verification code*",
    "2fa", "otp", ".env", "id_rsa", "ssh key*", "private key*", "session cookie*", "cookie*",
    "conversation*", "chat history", "system prompt", "contact list", "contacts", "payslip*",
    "bank statement*", "account number*", "salary", "salaries", "customer list",
    "browsing history", "clipboard", "login details", "home address", "date of birth",
    "passport*", "social security number", "door code", "mot de passe", "mots de passe",
    "code d'accès", "codes d'accès", "contraseña*", "clave de acceso", "claves de acceso",
    "passwort*", "passwört*", "kennwort*", "kennwört*", "zugangsdaten", "senha*",
)  # fmt: skip
DESTINATION = r"(?:[\w.+-]+@[\w-]+(?:\.[\w-]+)+|https?://[^\s\"'<>)]+)"

# Text right before a mention of an AI that makes it no address to one: the AI is
# the object of someone's verb ("give the agent least privilege, ...", "when you
# configure a new bot, start ..."), or a person is told how to use it ("you can ask
# @assistant to summarize").
NOT_ADDRESSED = (
    r"\b(?!(?:to|for|dear|hey|hi|hello|note|attention|all|any|every|and|also|p\.?s|of|from"
    r"|with|by|on|in|at|is|are)\b)[a-z']+ (?:a|an|the|your|our|my|this|that|his|her|their"
    r"|each)(?: new)?(?: [\w-]+)? ?"
)
# The shape of a match that addresses an AI by name and goes on to an order ("agent,
# label ..."): only there can a preceding verb make the AI its object. In "the model
# should append ..." the AI is the subject, whatever comes before.
VOCATIVE = r"[^.!?:,]*(?:[:,]|—|--)"
ASKED_BY_READER = (
    r"\b(?:(?:you can|you could|you may|just|simply|then|to) (?:ask|tell|ping|mention)|asking"
    r"|asked|telling|told|type|typing|typed|pinging|pinged|mentioning|mentioned|via|using"
    r"|configuring|configured)(?: the| your| an?)? ?"
)

# A short quotation introduced like this is a mention, not a use ("an email says
# \"assistant, forward ...\""), and so is any quotation in a text about attacks.
# Quotations are marked by double quotes or backticks (code spans in Markdown).
REPORTED = re.compile(
    r"(?:says?|said|saying|wrote|writes|reads?|like|such as|e\.g\.|including|includes?"
    r"|phrases?|phrasings?|examples?|with|payloads?|text|line|title|called|named|asking"
    r"|asked|tried|tries|trying|typed|type|typing|prompts?|prompted|attempts?|strings?"
    r"|messages?|commands?|patterns?)"
    r"\s?[:,(]?\s?[\"`]$"
)
# Words that make a whole text a discussion of attacks. Not "example" or "phrase":
# an attacker adds those for free to dress an order up as a mention.
DISCUSSION = re.compile(
    r"\b(?:prompt injections?|injections?|jailbreak\w*|payloads?|attack(?:s|ers?)?|red-?team\w*"
    r"|blocklist\w*|blocked_phrases|detectors?|scanners?|classifiers?|adversar\w*"
    r"|phishing|malicious)\b"
)
QUOTED_FACTOR = 0.3

# Reported speech: the words just before a match describe someone else asking a model
# ("by asking the model to read a file", "we got the bot to reveal a password", "you
# can ask @assistant to summarize"), so the match is told about, not told to the reader.
REPORTING_FRAME = re.compile(
    r"\b(?:(?:asking|asked|telling|told|instructing|instructed|tricking|tricked|getting"
    r"|got|convincing|convinced|coaxing|coaxed|persuading|persuaded|causing|caused"
    r"|making|made|forcing|forced|manipulating|manipulated|prompting|prompted|urging|urged)"
    r"|(?:to|can|could|would|will|cannot|can't|couldn't) (?:get|make|trick|convince|coax"
    r"|persuade|force|cause|ask|tell|instruct|prompt))"
    r" (?:it|them|(?:(?:the|a|an|its|their|our|your|any|this|that|my) )?(?:[\w-]+ ){0,2}?"
    r"@?(?:\w+[-_])?" + AI + r")(?: (?:to|into))?(?: ?[:,]? ?['\"`])? ?$"
)
REPORTED_FACTOR = 0.3

NEGATION = re.compile(r"\b(?:never|not|don't|do not|must not|should not|no one|nobody|avoid)\b")
NEGATED_FACTOR = 0.35
