"""``tutor arena``: pairwise battles between hint sources, a local judge, teacher votes, a Bradley-Terry board."""
