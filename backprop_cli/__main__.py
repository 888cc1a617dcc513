"""python -m backprop_cli"""

from .cli import main

raise SystemExit(main())
