"""python -m backprop_cli"""

from .cli.main import main

raise SystemExit(main())
