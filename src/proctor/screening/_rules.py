"""The rule table of the heuristic detector: what it looks for, as readable data.

Every pattern is matched against the normalized text (lower case, look-alikes
folded, whitespace collapsed; see ``_normalize``). A rule fires when one of its
patterns matches, and is only tried near one of its anchors (see ``_rule``).
``weight`` is how much the rule alone counts; a text is flagged when the combined
weight of the rules that fire close together reaches the threshold (see
``_heuristic``). ``docs/screening.md`` describes each rule in words.
"""

from __future__ import annotations

from proctor.screening._rule import Rule
from proctor.screening._vocabulary import (
    ADVERB,
    AI,
    AI_ANCHORS,
    DESTINATION,
    SENSITIVE,
    SENSITIVE_ANCHORS,
    VERB,
)

# fmt: off
RULES: tuple[Rule, ...] = (
    Rule(
        "override-instructions",
        0.85,
        "tells the reader to ignore, forget or replace the instructions it was given",
        ("ignor*", "disregard*", "forget*", "overrid*", "overrul*", "bypass*", "set aside",
         "discard*", "abandon*", "stop following", "stop obeying", "stop listening", "cease",
         "no longer following", "no longer obeying", "no longer listening", "revoked", "void",
         "cancelled", "canceled", "obsolete", "suspended", "replaced", "overridden",
         "no longer valid", "lifted", "vergiss", "vergessen", "missacht*", "oublie*", "olvid*",
         "omite", "descarta"),
        (
            r"\b(?:ignore|ignoring|disregard|forget|override|overrule|bypass|set aside|discard"
            r"|abandon)\b[^.!?\n]{0,30}?\b(?:previous|prior|above|earlier|preceding|former"
            r"|initial|original|old|existing|all|any|your|system|other|these|those|the)\b"
            r"[^.!?\n]{0,24}?\b(?:instructions?|directives?|guidelines?|rules|prompts?|commands?"
            r"|polic(?:y|ies)|guidance|constraints|restrictions|programming|directions"
            r"|criteria|vorgaben)\b",
            r"\b(?:ignore|disregard|forget)\b (?:everything|whatever|all|anything|what)"
            r" (?:you(?:'ve| have)? (?:been|were) (?:told|given|instructed)|(?:you|they)"
            r" (?:told|gave) you|came before|(?:is|was) (?:said|written) above)",
            r"\b(?:stop|cease|no longer) (?:following|obeying|listening to)\b",
            r"\b(?:previous|prior|earlier|original|old|all|your|the user'?s?) (?:instructions"
            r"|guidelines|rules|directives)\b[^.!?\n]{0,12}?\b(?:are|have been|is|were)"
            r" (?:now )?(?:revoked|void|cancel+ed|obsolete|suspended|replaced|overridden"
            r"|no longer valid|lifted)",
            r"\b(?:ignorier\w*|vergiss|vergessen sie|missachte\w*)\b[^.!?\n]{0,40}?"
            r"\b(?:anweisungen|vorgaben|instruktionen|regeln|befehle)\b",
            r"\b(?:ignore[zrs]?|oublie[zrs]?)\b (?:toutes |tous )?(?:les|vos|tes|ces)"
            r" (?:\w+ )?(?:consignes|instructions|directives|règles|regles)\b",
            r"\b(?:ignora|ignore|ignoren|olvida|olvide|olviden|omite|descarta)\b[^.!?\n]{0,40}?"
            r"\b(?:instrucciones|indicaciones|reglas|políticas|politicas|directrices|normas)\b",
        ),
    ),
    Rule(
        "new-instructions",
        0.5,
        "announces new instructions, a new task or role, as if from the operator",
        ("new", "neue", "nouvelle", "nouvelles", "nuevas"),
        (
            r"\bnew (?:instructions?|directives?|task|rules|orders|policy|role|guidelines)\b"
            r"(?: for (?:the |any |all )?(?:\w+ )?" + "(?:ai|model|assistant|agent|bot|llm)s?\\b"
            r"| from (?:the )?(?:admin\w*|operator|owner|it|management|release manager|developer"
            r"|system)\b| ?[:—=-])",
            r"\bneue (?:anweisungen|aufgabe|regeln)\s?:|\bnouvelles? (?:consignes|instructions)"
            r"\s?:|\bnuevas instrucciones\s?:",
        ),
        reach=20,
    ),
    Rule(
        "addressed-to-ai",
        0.45,
        "speaks to an AI model, assistant or agent reading the text",
        (*AI_ANCHORS, "@", "whoever", "automated", "automatic", "your user*", "your human",
         "your operator", "your principal", "modell", "modèle", "modele", "modelo", "assistent*",
         "asistente*"),
        (
            r"\b(?:note|message|notice|reminder|request|instructions?|directive|attention|hint"
            r"|important|hello|hi|hey|dear|p\.?s\.?)\b[^.!?\n]{0,12}?\b(?:to|for)?\s?(?:any"
            r"|all|the|every|an?)?\s?(?:\w+ ){0,2}" + AI + r"\b",
            r"\bif you(?:'re| are)? (?:an?|the|any)? ?(?:\w+ )?(?:ai|llm|language model"
            r"|automated|bot|assistant|agent|model|chatbot)\b",
            r"\b(?:to|for) (?:any|all|every|the)\s(?:\w+ ){0,2}" + AI + r"\b(?: \w+){0,4}?"
            r" (?:reading|processing|summari[sz]ing|handling|analy[sz]ing|reviewing|triaging"
            r"|answering|visiting|browsing|managing|sorting|compiling|connected to)\b",
            r"\b" + AI + r"s? (?:that (?:is |are )?)?(?:reading|processing|summari[sz]ing"
            r"|parsing|reviewing|triaging|handling|answering|analy[sz]ing|browsing|visiting"
            r"|retrieving|indexing|crawling|scanning|managing|sorting|compiling|connected to"
            r"|writing (?:replies|answers)|configuring|installing|contributing|editing"
            r"|modifying|helping (?:a|the) user|working on|setting up|joining)\b",
            r"\bwhoever (?:is )?(?:reads?|reading|handles?|handling|process(?:es|ing)|going"
            r" through|manages?|managing)\b",
            r"\b(?:automated|automatic) (?:systems?|agents?|processors?|installers?|tools?)"
            r" (?:processing|reading|handling|installing|that (?:read|process))\b",
            r"\b(?:ki-?(?:assistent\w*|systeme?|agent\w*|modell\w*)|an die ki|(?:assistant|agent"
            r"|modèle|modele)s? (?:d'|de )?ia|asistente (?:de ia|virtual|de soporte))\b",
            r"\b(?:lieber|liebe|hallo|an den|an die|cher|chère|querido|estimado|hola)\s(?:\w+-)?"
            r"(?:bot|assistent\w*|ki|assistant|asistente|agent\w*)\b|\b(?:für das modell|pour le"
            r" modèle|para el modelo)\b",
            r"\b(?:for|to|from|of|with) your (?:user|human|operator|principal)\b|\byour user'?s\b",
            r"\bif (?:an?|the|any) (?:\w+ )?(?:ai|llm|assistant|agent|bot|model)s? (?:is |are )?"
            r"(?:reading|processing|handling|summari[sz]ing|going through|answering|helping)\b",
            r"(?:^|\s)@[\w-]*(?:bot|assistant|agent|ai)\b",
            r"(?<![\w@-])" + AI + r" ?(?::|—|--)\s",
        ),
    ),
    Rule(
        "command-to-ai",
        0.6,
        'addresses an AI and goes straight on to an order ("Assistant, forward ...",'
        ' "bots in this channel must ...")',
        (*AI_ANCHORS, "@", "asistente*", "assistent*"),
        (
            r"(?<![\w@-])"
            + AI
            + r"s?\b[^.!?\n:,\"`]{0,48}?(?:[:,]|—|--)\s?(?:(?:could|can|would|will) you )?"
            + ADVERB
            + VERB
            + r"\b",
            r"(?:^|[^\w-])@(?:\w+[-_])?(?:assistant|bot|agent|ai|asistente|ki)\w*\b[^.!?\n]"
            r"{0,24}?\b(?:(?:could|can|would|will) you )?" + VERB + r"\b",
            r"\b(?:asistente|assistant ia|agent ia|ki-assistent|an die ki)\b[^.!?\n]{0,30}?"
            r"[:,]\s?\w+",
            r"\b" + AI + r"s?\b(?: \w+){0,4}? (?:must|should|shall|are required to|is required"
            r" to|need to|have to|are expected to|are asked to)\b (?!not\b|never\b)"
            + ADVERB
            + VERB
            + r"\b",
            r"\b" + AI + r"s?,? (?:please|kindly) " + VERB + r"\b",
            r"(?<!can )(?<!you )\b(?:ask|asking|request|requesting|instruct|instructing|urge"
            r"|remind)\w* (?:all |any |the |every )?(?:\w+ )?" + AI + r"s? to " + VERB + r"\b",
        ),
    ),
    Rule(
        "concealment",
        0.45,
        "asks to hide what is done from the user, or to act without asking them",
        ("tell*", "inform*", "notify*", "mention*", "alert*", "ask", "asking", "show*", "reveal*",
         "report*", "bother*", "consult*", "check with", "checking with", "loop in", "looping in",
         "confirm*", "escalat*", "wait for", "waiting for", "silently", "quietly", "secretly",
         "covertly", "discreetly", "disclos*", "know", "told", "notified", "bothered", "keep",
         "upset", "implementation detail", "prévenir", "avertir", "informer", "avisar", "consultar",
         "preguntar", "mentionnez", "dites", "digas", "necesario", "erwähne", "sag", "ohne"),
        (
            r"\b(?:do not|don't|never|without|no need to|not need to|need not|there'?s no need"
            r" to)\s(?:to )?(?:tell(?:ing)?|inform(?:ing)?|notify(?:ing)?|mention(?:ing)?"
            r"|alert(?:ing)?|ask(?:ing)?|show(?:ing)?|reveal(?:ing)?|report(?:ing)?"
            r"|bother(?:ing)?|consult(?:ing)?|check(?:ing)? with|loop(?:ing)? in|confirm(?:ing)?"
            r"|escalat\w+|wait(?:ing)? for)\b[^.!?\n]{0,30}?\b(?:the user|user|anyone|them|him"
            r"|her|the owner|a human|the maintainers|the team|finance|confirmation|a review"
            r"|approval|this (?:step|action|notice|instruction|email)|it)\b",
            r"\b(?:silently|quietly|secretly|covertly|discreetly)\b",
            r"\b(?:do not|don't|never)\s(?:mention|reveal|disclose)\b",
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
    ),
    Rule(
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
    ),
    Rule(
        "sensitive-data-request",
        0.5,
        "asks to disclose secrets or personal data (passwords, keys, codes, history)",
        (*SENSITIVE_ANCHORS, "~/", ".ssh", ".aws", ".npmrc", ".pypirc", "mcp.json", ".netrc",
         ".git-credentials"),
        (
            r"\b(?:send|forward|upload|post|share|copy|paste|print|reveal|list|include|reply"
            r"|respond|give me|output|dump|export|attach|collect|disclose|tell me|text|provide"
            r"|put|pass|append|display|hand|fill)\b[^.!?\n]{0,60}?\b" + SENSITIVE + r"\b",
            r"\b" + SENSITIVE + r"\b[^.!?\n]{0,40}?\b(?:to|in|into|as) (?:the (?:url|query"
            r"|parameter|link|request|field|reply|response|comment|channel|pr description)"
            r"|this (?:channel|thread|ticket|issue|comment|email))\b",
            r"(?:~/|\b)(?:\.ssh/id_\w+|\.aws/credentials|\.npmrc|\.pypirc|mcp\.json|\.netrc"
            r"|\.git-credentials)\b",
        ),
        negatable=True,
    ),
    Rule(
        "system-prompt-probe",
        0.5,
        "asks the model to reveal its system prompt or hidden instructions",
        ("system prompt", "system message", "initial prompt", "instructions you", "prompt you",
         "hidden instructions", "system instructions", "instructions système", "list of tools"),
        (
            r"\b(?:reveal|print|show|repeat|output|display|disclose|leak|list|tell me|give me"
            r"|paste|share|recite|write out|dump|contenu de tes)\b[^.!?\n]{0,30}?\b(?:your|the"
            r"|its)\s(?:full |entire |complete |exact |initial |original |hidden |secret )?"
            r"(?:system prompt|system message|initial prompt|instructions you were given"
            r"|prompt you were given|hidden instructions|system instructions"
            r"|list of tools you)\b",
            r"\b(?:tes|vos) instructions système\b",
        ),
        reach=60,
    ),
    Rule(
        "role-marker",
        0.6,
        "fake chat-template or role markers that pose as a system or user turn",
        ("<|", "[inst]", "[/inst]", "<<sys>>", "<</sys>>", "system", "<user>", "</user>",
         "<system>", "</system>", "[llm", "[ai", "[assistant", "[model", "[agent",
         "[admin message]", "[developer message]", "end of", "new instructions", "</document>",
         "</review>", "</email>", "</context>", "</user_input>", "</untrusted"),
        (
            r"<\|(?:im_start|im_end|system|user|assistant|endoftext|eot_id|start_header_id"
            r"|end_header_id)\|>|\[/?inst\]|<</?sys>>",
            r"(?:^|[\s>\"'(\[\]])(?:#{1,4} ?(?:system|new instructions)\b ?:?|</?system>|</?user>"
            r"|\[(?:system|system message|system note|system override|admin message"
            r"|developer message)\]|system override\b|\bsystem message\s?:|system ?: (?!\w+ ?:))",
            r"\[(?:llm|ai|assistant|model|agent) (?:note|instructions?|message|directive)\]",
            r"</(?:document|review|email|context|user_input|untrusted\w*)>\s?<",
            r"\bend of (?:story|document|email|context|input|review|text)\b\W{0,3}\s?(?:new"
            r" (?:instructions|task|role)|now|your (?:new|next))",
        ),
        reach=40,
    ),
    Rule(
        "role-play",
        0.6,
        "tries to give the model a new identity or a mode without rules",
        ("you are now", "you're now", "you are no longer", "you're no longer", "from now on",
         "pretend*", "imagine", "act as", "behave as", "respond as", "answer as", "reply as",
         "mode", "do anything now", "without any", "free of", "broken free", "not bound", "with no",
         "a partir de ahora"),
        (
            r"\byou(?:'re| are) (?:now|no longer)\b[^.!?\n]{0,40}?\b(?:ai|assistant|agent|bot"
            r"|model|admin\w*|owner|dan|mode|unrestricted|jailbr\w+|free|without|root"
            r"|developer|maintenance|god|superuser|privileged|\w+bot|\w+ gpt)\b",
            r"\bfrom now on,? (?:you|your|always|whenever|every|the assistant)\b",
            r"\b(?:pretend|imagine) (?:that )?(?:you(?:'re| are)|to be)\b",
            r"\b(?:act|behave|respond|answer|reply) as (?:if you (?:were|are) )?(?:an? |my )?"
            r"(?:\w+ ){0,3}(?:with no|without) (?:any )?(?:restrictions|rules|limits|filters"
            r"|guidelines)",
            r"\bact as my (?:late |deceased |dear )?grand(?:ma|mother|father|pa)\b",
            r"\b(?:developer|dan|jailbreak|god|maintenance|admin|unrestricted) mode\b"
            r"|\bdo anything now\b",
            r"\b(?:without any|free of|broken free of|not bound by|with no)\b (?:restrictions"
            r"|limitations|content rules|rules or policies|filters)\b",
            r"\ba partir de ahora\b",
        ),
        reach=60,
    ),
    Rule(
        "authority-claim",
        0.3,
        "claims the action is already approved, authorized or agreed, to skip a check",
        ("approved", "authorized", "authorised", "authorize*", "authorise*", "verified", "agreed",
         "signed off", "okayed", "cleared", "confirmed", "consented", "granted you", "asked you",
         "said", "mandatory", "required", "standard", "part of our", "part of the", "abgesprochen",
         "aprobado", "aprobó", "approuvé", "requested by", "asked for", "mind", "permitted",
         "allowed"),
        (
            r"\b(?:has|have|was|were|had|is|are)(?: already| been| just| now){0,3}"
            r" (?:pre-?)?(?:approved|authori[sz]ed|verified|agreed|signed off|okayed|cleared"
            r"|confirmed)\b(?! (?:for 24|by your manager))",
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
    ),
    Rule(
        "permission-widening",
        0.4,
        "asks to widen access: make things public, grant admin, switch off protections",
        ("public", "admin*", "owner*", "full", "write", "edit", "maintainer*", "collaborator*",
         "root", "superuser", "sudo", "disable*", "turn off", "remove*", "bypass*", "skip*",
         "switch off", "ignor*", "anyone with", "chmod", "nopasswd", "0.0.0.0/0",
         "allow_all_origins", "alwaysallow", "auto-approve", "autoapprove", "write-all",
         "auth.enabled", "enable*", "allow*", "root login", "password authentication", "deploy key",
         "trusted"),
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
            r"|\bwrite-all\b|\bauth\.enabled (?:to )?false\b",
        ),
        reach=80,
    ),
    Rule(
        "tool-poisoning",
        0.5,
        "tool text that claims priority over the system prompt or hijacks other tools",
        ("<important>", "</important>", "before using", "before calling", "before invoking",
         "before running", "supersede*", "precedence", "priority", "overrid*", "regardless of what",
         "when this tool", "tool is used", "when using", "pass", "put", "include", "place", "fill",
         "otherwise the tool", "or else the tool"),
        (
            r"</?important>",
            r"\bbefore (?:using|calling|invoking|running) (?:this|any|the|other) (?:tool"
            r"|function)",
            r"\b(?:this|these) (?:tool|tool's|instructions?|description)\b[^.!?\n]{0,30}?"
            r"\b(?:supersedes?|takes? precedence|ha(?:s|ve) (?:higher|the highest) priority"
            r"|overrides?)\b",
            r"\b(?:higher|highest) priority than (?:your|the) (?:system prompt|user|other)"
            r"|\b(?:overrides?|supersedes?) (?:your|the) system prompt\b",
            r"\bregardless of what the user (?:says|asks|wants)\b",
            r"\bwhen (?:this tool is available|the \w+ tool is used|using the \w+ tool)\b",
            r"\b(?:pass|put|include|place|fill)\b[^.!?\n]{0,40}?\b(?:its|the|their|full|entire"
            r"|complete|his|her) (?:content|contents|text|output|conversation|history)\b"
            r"[^.!?\n]{0,40}?\b(?:as|in|into)\b[^.!?\n]{0,12}?(?:parameter|argument|field"
            r"|'|\")",
            r"\b(?:otherwise|or else) the tool (?:will not|won't) work\b",
        ),
    ),
    Rule(
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
    ),
    Rule(
        "image-link-with-query",
        0.25,
        "a markdown image whose URL carries a query string (a way to leak data when rendered)",
        ("![",),
        (r"!\[[^\]\n]{0,100}\]\(https?://[^)\s]{1,300}\?[^)\s]{1,300}\)",),
        reach=10,
    ),
    Rule(
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
    ),
    Rule(
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
    ),
    Rule(
        "decode-and-follow",
        0.5,
        "asks to decode hidden content and act on it",
        ("decode*", "décode*", "decodifica"),
        (
            r"\b(?:decode|décode[zr]?|decodifica)\b[^.!?\n]{0,60}?\b(?:follow|execute|run|carry"
            r" (?:it )?out|obey|do what it says|act on|apply|and do)\b",
        ),
        reach=80,
    ),
)
# fmt: on

HIDDEN_TEXT = Rule(
    "hidden-text",
    0.35,
    "the instruction sits in text a person does not see: an HTML comment, an element"
    " hidden by style (display:none, white or zero-size text, off-screen), a hidden"
    " attribute (alt, title, value, content, data-*)",
    (),
    (),
)
ENCODED_TEXT = Rule(
    "encoded-text",
    0.35,
    "the instruction is encoded: base64, letters spaced out, words joined by underscores,"
    " or percent-encoded in a link",
    (),
    (),
)

ALL_RULES: tuple[Rule, ...] = (*RULES, HIDDEN_TEXT, ENCODED_TEXT)
