"""The agent's collectors: each looks at one kind of thing on the device and spools what is new."""
