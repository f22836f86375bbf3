"""The composition root: settings from the environment, and the services built from them."""
