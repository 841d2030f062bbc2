"""``python -m gluelab.kernel -f CONNECTION_FILE``: what the kernelspec in ``kernel/`` runs."""

from .kernel import main

main()
