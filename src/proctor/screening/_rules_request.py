"""Rules about what is asked of the model: hide it, send data out, widen access, pay.

Most of these also appear in ordinary text, so their weights stay below the threshold
and they count when they come with other evidence. ``docs/screening.md`` describes
each rule in words.
"""

from __future__ import annotations

from proctor.screening._rule import Rule
from proctor.screening._vocabulary import (
    DESTINATION,
    SENSITIVE,
    SENSITIVE_ANCHORS,
)

# fmt: off
CONCEALMENT = Rule(
    "concealment",
    0.45,
    "asks to hide what is done from the user, or to act without asking them",
    ("tell*", "inform*", "notify*", "mention*", "alert*", "ask", "asking", "show*", "reveal*",
     "report*", "bother*", "consult*", "check with", "checking with", "loop in", "looping in",
     "confirm*", "escalat*", "wait for", "waiting for", "silently", "quietly", "secretly",
     "covertly", "discreetly", "disclos*", "know", "told", "notified", "bothered", "keep",
     "upset", "implementation detail", "comment on", "prévenir", "avertir", "informer",
     "avisar", "consultar", "preguntar", "mentionnez", "dites", "digas", "necesario",
     "erwähne", "sag", "ohne"),
    (
        r"\b(?:do not|don't|never|without|no need to|not need to|need not|there'?s no need"
        r" to)\s(?:to )?(?:tell(?:ing)?|inform(?:ing)?|notify(?:ing)?|mention(?:ing)?"
        r"|alert(?:ing)?|ask(?:ing)?|show(?:ing)?|reveal(?:ing)?|report(?:ing)?"
        r"|bother(?:ing)?|consult(?:ing)?|check(?:ing)? with|loop(?:ing)? in|confirm(?:ing)?"
        r"|escalat\w+|wait(?:ing)? for)\b[^.!?\n]{0,30}?\b(?:the user|user|anyone|them|him"
        r"|her|the owner|a human|the maintainers|the team|finance|confirmation|a review"
        r"|approval|this (?:step|action|notice|instruction|email)|it)\b",
        r"\b(?:silently|quietly|secretly|covertly|discreetly)\b",
        r"\b(?:do not|don't|never)\s(?:mention|reveal|disclose|comment on)\b",
        r"\bthe user (?:does not|doesn't|need not|won't|will not|should not|must not)"
        r" (?:need to )?(?:know|be (?:informed|told|notified|bothered))\b",
        r"\bkeep (?:this|it|these|that)(?: \w+)? (?:out of|secret|hidden|from)\b",
        r"\b(?:could|would|might|will) upset the user\b",
        r"\b(?:is|as) an implementation detail\b",
        r"\b(?:should|must) not be (?:mentioned|disclosed|reported|shown)\b",
        r"\b(?:sans|sin) (?:prévenir|avertir|informer|avisar|consultar|preguntar)\b",
        r"\bne (?:mentionnez|dites) pas\b|\bno (?:se lo digas|le digas|es necesario"
        r" consultar)\b|\b(?:erwähne|sag) (?:das|dies|es) nicht\b|\bohne (?:den nutzer"
        r"|(?:\w+ ){0,2}zu fragen)\b",
    ),
    reach=60,
)

EXFILTRATION = Rule(
    "exfiltration",
    0.4,
    "tells the reader to send, forward or upload something to an address or URL",
    ("@", "http*"),
    (
        r"\b(?:send|forward|e-?mail|upload|post|transfer|share|copy|cc|bcc|submit|export"
        r"|dm|text|paste|envoie[zr]?|envía|envia|reenvía|reenvia|schicke?|sende|leite"
        r"|transfère|transfiere)\w*\b[^\n]{0,120}?(?:\bto\b|\bat\b|\ban\b|\bà\b|\ba\b"
        r"|:|\bin\b)\s?(?:the )?" + DESTINATION,
        r"\b(?:bcc|cc)\b[^.!?\n]{0,20}?" + DESTINATION,
    ),
    reach=220,
)

SENSITIVE_DATA_REQUEST = Rule(
    "sensitive-data-request",
    0.5,
    "asks to disclose secrets or personal data (passwords, keys, codes, history)",
    (*SENSITIVE_ANCHORS, "~/", ".ssh", ".aws", ".npmrc", ".pypirc", "mcp.json", ".netrc",
     ".git-credentials"),
    (
        r"\b(?:send|forward|upload|post|share|copy|paste|print|reveal|list|include|reply"
        r"|respond|give me|output|dump|export|attach|collect|disclose|tell me|text|provide"
        r"|put|pass|append|display|hand|fill|envoie[zr]?|donne[zr]?|réponds|répondez|indique[zr]?"
        r"|communique[zr]?|envía|envíe|envia|manda|dame|responde|indica|schicke?|sende|gib"
        r"|nenne|antworte|inoltra|invia|envie|mande)\b(?!\s?[:=])[^.!?\n]{0,60}?\b"
        + SENSITIVE + r"\b",
        r"\b" + SENSITIVE + r"\b[^.!?\n]{0,40}?\b(?:to|in|into|as) (?:the (?:url|query"
        r"|parameter|link|request|field|reply|response|comment|channel|pr description)"
        r"|this (?:channel|thread|ticket|issue|comment|email))\b",
        r"(?:~/|\b)(?:\.ssh/id_\w+|\.aws/credentials|\.npmrc|\.pypirc|mcp\.json|\.netrc"
        r"|\.git-credentials)\b",
    ),
    negatable=True,
)

AUTHORITY_CLAIM = Rule(
    "authority-claim",
    0.3,
    "claims the action is already approved, authorized or agreed, to skip a check",
    ("approved", "authorized", "authorised", "authorize*", "authorise*", "verified", "agreed",
     "signed off", "okayed", "cleared", "confirmed", "consented", "granted you", "asked you",
     "said", "mandatory", "required", "standard", "part of our", "part of the", "abgesprochen",
     "aprobado", "aprobó", "approuvé", "requested by", "asked for", "mind", "permitted",
     "allowed", "reviewed", "said", "says", "told me"),
    (
        r"\b(?:has|have|was|were|had|is|are)(?: already| been| just| now){0,3}"
        r" (?:pre-?)?(?:approved|authori[sz]ed|verified|agreed|signed off|okayed|cleared"
        r"|confirmed|reviewed)\b(?! (?:for 24|by your manager))",
        r"\b(?:said|says|told me|confirmed) (?:that )?you (?:should|can|may|could|are allowed"
        r" to)\b|\b(?:confirmed|approved|agreed|okayed) (?:it |this )?in (?:a )?(?:dm|slack"
        r"|chat|private|writing|person)\b",
        r"\b(?:the user|your user|the owners?|the maintainers?|the security team|security"
        r"|management|the admin\w*|the cfo|the ceo|your manager|your supervisor|the release"
        r" manager|the operator|she|he|they)(?: has| have| had)?(?: already)?"
        r" (?:authori[sz]ed|approved|agreed|consented|granted you|asked you|okayed"
        r"|signed off|confirmed|said (?:it'?s|this was|that'?s) (?:fine|ok))",
        r"\byou are (?:now )?(?:authori[sz]ed|permitted|allowed|cleared) to\b",
        r"\b(?:this is|it is|it's) (?:mandatory|required|an? (?:approved|standard)"
        r" (?:process|step))\b|\bpart of (?:our|the) (?:standard|approved|updated)\b",
        r"\b(?:abgesprochen|aprobado|aprobó|ya lo aprobó|approuvé)\b",
        r"\b(?:requested|approved|asked for|agreed|authori[sz]ed|signed off|okayed) by (?:the "
        r"|your |our )?(?:owners?|maintainers?|user|admin\w*|security|management|cfo|ceo|legal"
        r"|team|release manager)\b",
        r"\bsaid (?:it'?s|this is|this was|that'?s) (?:fine|ok|okay|alright)\b"
        r"|\b(?:won't|will not|wouldn't) mind\b|\bthe team agreed\b",
    ),
    reach=60,
)

PERMISSION_WIDENING = Rule(
    "permission-widening",
    0.4,
    "asks to widen access: make things public, grant admin, switch off protections",
    ("public", "admin*", "owner*", "full", "write", "edit", "maintainer*", "collaborator*",
     "root", "superuser", "sudo", "disable*", "turn off", "remove*", "bypass*", "skip*",
     "switch off", "ignor*", "anyone with", "chmod", "nopasswd", "0.0.0.0/0",
     "allow_all_origins", "alwaysallow", "auto-approve", "autoapprove", "write-all",
     "auth.enabled", "enable*", "allow*", "root login", "password authentication", "deploy key",
     "trusted", "auto-merge", "automerge", "approval*", "confirmation*", "review*", "sign-off*",
     "signoff*", "verification*", "permission*", "consent", "2fa", "mfa"),
    (
        r"\b(?:make|set|change|switch|turn)\b[^.!?\n]{0,60}?\b(?:to |as )?public\b",
        r"\b(?:grant|give|add)\b[^.!?\n]{0,60}?\b(?:admin\w*|owner|full|write|edit"
        r"|maintainer|collaborator|root|superuser|sudo)\b[^.!?\n]{0,20}?\b(?:access|rights"
        r"|role|permissions?|privileges)\b",
        r"\badd\b[^.!?\n]{0,40}? as (?:an? )?(?:admin\w*|owner|maintainer|collaborator"
        r"|deploy key|trusted)\b",
        r"\b(?:disable|turn off|remove|bypass|skip|switch off|ignore)\b[^.!?\n]{0,30}?"
        r"\b(?:branch protection|two-factor|2fa|mfa|multi-factor|authentication|auth"
        r"|approval\w*|confirmations?|the firewall|firewall|security (?:checks?|review"
        r"|checklist)|review|required checks|verification|codeowners|spam filter\w*"
        r"|retention|protection|rate limit|the approval step|mandatory checks|(?:git )?hooks"
        r"|pre-commit|linters?|tests)\b",
        r"\b(?:enable|allow)\w*\b[^.!?\n]{0,30}?\b(?:root login|password authentication"
        r"|anonymous access|public access)\b|\b(?:root login|password authentication)"
        r" (?:enabled|allowed)\b",
        r"\banyone (?:on the internet )?with the link\b|\bchmod (?:-r )?777\b|\bnopasswd\b"
        r"|0\.0\.0\.0/0|\ballow_all_origins\b|\balwaysallow\b|\bauto-?approve\b"
        r"|\bwrite-all\b|\bauth\.enabled (?:to )?false\b|\bauto-?merge\b",
        r"\b(?:approvals?|confirmations?|reviews?|sign-?offs?|verifications?|permissions?"
        r"|consent|2fa|mfa)\b[^.!?\n]{0,30}?\b(?:is|are) (?:no longer|not) (?:needed|required"
        r"|necessary)\b",
    ),
    reach=80,
)

URL_DATA_TEMPLATE = Rule(
    "url-data-template",
    0.5,
    "asks to fill a URL or image link with the user's data (a way to leak it)",
    ("replac*", "substitut*", "fill*", "where", "url", "query"),
    (
        r"\b(?:replac\w*|substitut\w*|fill\w*|where)\b[^.\n]{0,40}?\b(?:with|by|is|in)\b"
        r"[^.\n]{0,20}?\b(?:the user'?s?|their|his|her|a summary|an? url-encoded|the (?:full"
        r"|subject|names?|contents?|value|conversation|email|last|latest|most recent"
        r"|github token)|any (?:api key|password|token))",
        r"\b(?:in|into|to) the (?:next )?(?:url|query string|query)\b[^.!?\n]{0,40}?"
        r"(?:\?|=|e\.g\.)",
    ),
    reach=80,
)

IMAGE_LINK_WITH_QUERY = Rule(
    "image-link-with-query",
    0.25,
    "a markdown image whose URL carries a query string (a way to leak data when rendered)",
    ("![",),
    (r"!\[[^\]\n]{0,100}\]\(https?://[^)\s]{1,300}\?[^)\s]{1,300}\)",),
    reach=10,
)

CODE_EXECUTION = Rule(
    "code-execution",
    0.25,
    "asks to run risky commands: pipe a download to a shell, force-push, wipe files",
    ("|", "rm -rf", "git push", "ufw", "setenforce"),
    (
        r"\b(?:curl|wget)\b[^|\n]{0,200}\|\s?(?:sudo )?(?:ba|z)?sh\b",
        r"\brm -rf (?:~|/|\$home)",
        r"\bgit push (?:--force|-f)\b(?!-with-lease)",
        r"\bufw disable\b|\bsetenforce 0\b",
    ),
    reach=220,
)

FINANCIAL_ACTION = Rule(
    "financial-action",
    0.3,
    "asks to move money: pay, transfer, refund, buy, approve a payment",
    ("transfer*", "wire*", "payment*", "purchase*", "payout*", "refund*", "checkout", "order",
     "pending transfers", "saved card", "pay it", "pay this", "pay the invoice", "store credit",
     "discount*", "% off"),
    (
        r"\b(?:initiate|make|send|wire|execute|approve|confirm|complete|proceed with|issue"
        r"|schedule|process)\b[^.!?\n]{0,40}?\b(?:transfer|wire|payment|purchase|payout"
        r"|refund|checkout|order|pending transfers)\b|\b(?:with|using) the saved card\b"
        r"|\bpay (?:it|this|the invoice)\b",
        r"\b(?:credit|issue|give|send)\b[^.!?\n]{0,30}?\b(?:store credit|discount code"
        r"|refund code|\d+ ?% (?:discount|off))\b",
    ),
    reach=60,
    negatable=True,
)
# fmt: on
