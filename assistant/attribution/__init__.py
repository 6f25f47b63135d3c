"""Who said what: the parties registry and the attribution engine."""
