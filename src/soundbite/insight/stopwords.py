"""English stopwords for topic statistics, plus the fillers of speech.

A built-in list rather than a corpus: the default install has no language data, and what makes
spoken English different from written ("yeah", "gonna", "kind of", "you know") is exactly what
generic lists lack. Contraction fragments are here because the tokenizer splits "don't" into
"don" and "t". Search never drops stopwords: a phrase like "to be or not to be" must be found.
"""

from __future__ import annotations

_WRITTEN = """
a about above across after afterwards again against all almost alone along already also
although always am among amongst an and another any anyhow anyone anything anyway anywhere are
around as at be became because become becomes becoming been before beforehand behind being below
beside besides between beyond both but by can cannot could did do does doing done down during
each either else elsewhere enough etc even ever every everyone everything everywhere except few
for former formerly from further had has have having he hence her here hereafter hereby herein
hers herself him himself his how however i if in indeed into is it its itself just last latter
least less let lets many may me meanwhile might mine more moreover most mostly much must my
myself namely neither never nevertheless next no nobody none noone nor not nothing now nowhere
of off often on once one only onto or other others otherwise our ours ourselves out over own per
perhaps please quite rather same shall she should since so some somehow someone something
sometime sometimes somewhere still such than that the their theirs them themselves then thence
there thereafter thereby therefore therein thereupon these they this those though through
throughout thru thus to together too toward towards under until up upon us very via was we well
were what whatever when whence whenever where whereafter whereas whereby wherein whereupon
wherever whether which while whither who whoever whole whom whose why will with within without
would yet you your yours yourself yourselves
"""

_SPOKEN = """
yeah yes yep nope okay ok oh uh um umm hmm mm ah er like really actually basically literally
gonna wanna gotta kinda sorta kind sort thing things stuff guess mean know think say said says
saying go going goes went get gets getting got make makes making made want wants wanted need
needs lot lots little bit pretty sure right good great just maybe probably definitely totally
absolutely anyway alright hey hello welcome thank thanks look looking come coming take way ways
see seen talk talking tell told use used using doesn don didn isn wasn aren weren couldn wouldn
shouldn won ll ve re im ive youre thats theres let lets today time times day new one two three
first second also able fact point put feel felt start started
"""

STOPWORDS: frozenset[str] = frozenset((_WRITTEN + _SPOKEN).split())

# openings that tie a sentence to what came before: a clip starting here needs context
_OPENERS = """
and but or so because then also which that this these those it they he she him her them there
anyway plus
"""
DANGLING_OPENERS: frozenset[str] = frozenset(_OPENERS.split())
