"""soaklib - the parts of tools/soak (see its docstring): procs (/proc and
killing by pid), master (the master under soak and its config), load
(bench-client and the attribution of failures), chaos (status loop and
kills, reloads, sampling), report (verdict and summary)."""
