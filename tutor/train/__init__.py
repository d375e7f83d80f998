"""``tutor train``: fine-tuning data, LoRA training and export to a Q4_K_M GGUF (the optional ``.[train]`` extra).

Nothing in this package is imported at run time by the app or the hint pipeline: torch is never needed there.
"""
