"""The machinery of one viewer: its `ViewerSession` (events in, callbacks, commands out,
uploads, waiting), its analyses and labels, and the values it hands to Python."""
