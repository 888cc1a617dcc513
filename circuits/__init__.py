"""The bundled circuit library (installed as ``backprop_cli.library``)."""
