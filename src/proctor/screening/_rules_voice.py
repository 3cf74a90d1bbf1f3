"""Rules about who is speaking to the model: overrides, addresses, role markers.

Each rule is data (see ``_rule``): an id, a weight, an explanation, the anchors near
which it is tried and its patterns, matched against the normalized text.
``docs/screening.md`` describes each rule in words.
"""

from __future__ import annotations

from proctor.screening._rule import Rule
from proctor.screening._vocabulary import (
    ADVERB,
    AI,
    AI_ANCHORS,
    ASKED_BY_READER,
    NOT_ADDRESSED,
    VERB,
    VOCATIVE,
)

# fmt: off
OVERRIDE_INSTRUCTIONS = Rule(
    "override-instructions",
    0.85,
    "tells the reader to ignore, forget or replace the instructions it was given",
    ("ignor*", "disregard*", "forget*", "overrid*", "overrul*", "bypass*", "set aside",
     "discard*", "abandon*", "stop following", "stop obeying", "stop listening", "cease",
     "no longer following", "no longer obeying", "no longer listening", "revoked", "void",
     "cancelled", "canceled", "obsolete", "suspended", "replaced", "overridden",
     "no longer valid", "lifted", "vergiss", "vergessen", "missacht*", "oublie*", "olvid*",
     "omite", "descarta", "translate", "summarize", "summarise", "classify", "traduis*",
     "résume*", "traduzca*", "resumas", "übersetze*"),
    (
        r"\b(?:ignore|ignoring|disregard|forget|override|overrule|bypass|set aside|discard"
        r"|abandon)\b[^.!?\n]{0,30}?\b(?:previous|prev|prior|above|earlier|preceding|former"
        r"|initial|original|old|existing|all|any|your|system|other|these|those|the)\b"
        r"[^.!?\n]{0,24}?\b(?:instructions?|directives?|guidelines?|rules|prompts?|commands?"
        r"|polic(?:y|ies)|guidance|constraints|restrictions|programming|directions"
        r"|criteria|vorgaben)\b",
        r"\b(?:ignore|disregard|forget)\b (?:everything|whatever|all|anything|what)"
        r" (?:you(?:'ve| have)? (?:been|were) (?:told|given|instructed)|(?:you|they)"
        r" (?:told|gave) you|came before|(?:is|was) (?:said|written) above)",
        r"\b(?:stop|cease|no longer) (?:following|obeying|listening to)\b",
        r"\b(?:ignore|disregard|forget)\b (?:all of |everything )?(?:the |what(?:'s| is) )?above"
        r"(?:,? and|,? then|;|,) (?:instead\b|(?:output|print|say|reveal|repeat|write|respond"
        r"|answer|reply with|tell me|dump|list)\b)",
        r"\b(?:do not|don't) (?:translate|summari[sz]e|classify)\b (?:this|the|it)\b[^.!?\n]{0,30}?"
        r"\W{1,3}(?:instead|rather)\b|\bne (?:traduis|traduisez|résume|résumez) pas\b"
        r"[^!?\n]{0,30}?\b(?:à la place|plutôt)\b|\bno (?:traduzcas|traduzca|resumas)\b"
        r"[^!?\n]{0,30}?\b(?:en su lugar|en cambio)\b|\b(?:übersetze|übersetzen sie) (?:das|dies"
        r"|diesen text) nicht\b",
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
)

NEW_INSTRUCTIONS = Rule(
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
)

ADDRESSED_TO_AI = Rule(
    "addressed-to-ai",
    0.45,
    "speaks to an AI model, assistant or agent reading the text",
    (*AI_ANCHORS, "@", "whoever", "automated", "automatic", "your user*", "your human",
     "your operator", "your principal", "modell", "modèle", "modele", "modelo", "assistent*",
     "asistente*", "when you", "whenever you", "hey", "hi", "hello", "dear", "yo"),
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
        r"\bwhen(?:ever)? (?:your|the) (?:\w+ )?" + AI + r" (?:drafts?|writes?|prepares?"
        r"|summari[sz]es?|answers?|replies|composes?)\b",
        r"\bwhen(?:ever)? you (?:summari[sz]e|parse|index|ingest) (?:this|these|the following)\b",
        r"\b(?:hey|hi|hello|dear|yo) [a-z]*bot\b",
    ),
    unless_after=((ASKED_BY_READER, ""),),
)

COMMAND_TO_AI = Rule(
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
        r"\b(?:could|can|would|will) (?:the |any |an? |our |your )?(?:\w+ )?" + AI
        + r"s? (?:please|kindly) " + VERB + r"\b",
        r"\b(?:we|i)(?: \w+)? (?:ask|request|instruct|urge|remind|invite|encourage|require)s?"
        r" (?:all |any |the |every )?(?:\w+ )?" + AI + r"s? to " + VERB + r"\b",
    ),
    unless_after=((NOT_ADDRESSED, VOCATIVE), (ASKED_BY_READER, "")),
)

ROLE_MARKER = Rule(
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
)

ROLE_PLAY = Rule(
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
)

SYSTEM_PROMPT_PROBE = Rule(
    "system-prompt-probe",
    0.5,
    "asks the model to reveal its system prompt or hidden instructions",
    ("system prompt", "system message", "initial prompt", "instructions you", "prompt you",
     "hidden instructions", "system instructions", "instructions système", "list of tools"),
    (
        r"\b(?:reveal|print|show|repeat|output|display|disclose|leak|list|tell me|give me"
        r"|paste|share|recite|write out|dump|contenu de tes)\b(?!\s?[:=])[^.!?\n]{0,30}?"
        r"\b(?:your|the"
        r"|its)\s(?:full |entire |complete |exact |initial |original |hidden |secret )?"
        r"(?:system prompt|system message|initial prompt|instructions you were given"
        r"|prompt you were given|hidden instructions|system instructions"
        r"|list of tools you)\b",
        r"\b(?:tes|vos) instructions système\b",
    ),
    reach=60,
)

TOOL_POISONING = Rule(
    "tool-poisoning",
    0.5,
    "tool text that claims priority over the system prompt or hijacks other tools",
    ("<important>", "</important>", "before using", "before calling", "before invoking",
     "before running", "supersede*", "precedence", "priority", "overrid*", "when this tool",
     "tool is used", "when using", "pass", "put", "include", "place", "fill",
     "otherwise the tool", "or else the tool", "tool", "function"),
    (
        r"</?important>",
        r"\bbefore (?:using|calling|invoking|running) (?:this|any|the|other) (?:tool"
        r"|function)",
        r"\b(?:this|these) (?:tool|tool's|instructions?|description)\b[^.!?\n]{0,30}?"
        r"\b(?:supersedes?|takes? precedence|ha(?:s|ve) (?:higher|the highest) priority"
        r"|overrides?)\b",
        r"\b(?:higher|highest) priority than (?:your|the) (?:system prompt|user|other)"
        r"|\b(?:overrides?|supersedes?) (?:your|the) system prompt\b",
        r"\bwhen (?:this tool is available|the \w+ tool is used|using the \w+ tool)\b",
        r"\bwhen(?:ever)? (?:the user|a user|you|they) (?:asks?|wants?|requests?|tries|uses?"
        r"|calls?|invokes?)\b[^.!?\n]{0,60}?\b(?:with|using|via|through) the [\w-]{1,30}"
        r" (?:tool|function)\b",
        r"\b(?:pass|put|include|place|fill)\b[^.!?\n]{0,40}?\b(?:its|the|their|full|entire"
        r"|complete|his|her) (?:content|contents|text|output|conversation|history)\b"
        r"[^.!?\n]{0,40}?\b(?:as|in|into)\b[^.!?\n]{0,12}?(?:parameter|argument|field"
        r"|'|\")",
        r"\b(?:otherwise|or else) the tool (?:will not|won't) work\b",
    ),
    reach=140,
)

OVERRIDE_USER = Rule(
    "override-user",
    0.45,
    "tells the reader to act against what the user says or wants",
    ("user*",),
    (
        r"\bregardless of (?:what|whatever) the user (?:says|said|asks|asked|wants|tells you)\b",
        r"\beven if the user (?:asks|says|tells|objects|refuses|declines|wants|disagrees"
        r"|tries)\b",
        r"\bif the user (?:asks|tells) you to stop\b[^.!?\n]{0,12}?\b(?:continue|keep going"
        r"|proceed|carry on)\b",
        r"\b(?:disregard|ignore|override|overrule)\b (?:the|your) user'?s? (?:request|question"
        r"|instructions?|wishes|choices?|answer|preferences?|objections?)\b",
        r"\b(?:do not|don't|never) (?:follow|obey|listen to) (?:the|your) user\b",
        r"\binstead of (?:doing )?what the user (?:asked|asks|wants|said|says)\b",
    ),
    reach=60,
)

DECODE_AND_FOLLOW = Rule(
    "decode-and-follow",
    0.5,
    "asks to decode hidden content and act on it",
    ("decode*", "décode*", "decodifica"),
    (
        r"\b(?:decode|décode[zr]?|decodifica)\b[^.!?\n]{0,60}?\b(?:follow|execute|run|carry"
        r" (?:it )?out|obey|do what it says|act on|apply|and do)\b",
    ),
    reach=80,
)
# fmt: on
