import sys

from .cli import main

# Guarded: mpi4py.futures workers re-import the main module (``python -m
# mpi4py.futures -m qutip_mmi ...``) and must not run the command themselves.
if __name__ == "__main__":
    sys.exit(main())
