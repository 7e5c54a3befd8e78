"""The one-command local stack (`hundi dev`): a process supervisor, the stack it runs, the demo seed, and the invoice
documents the seed renders. Development only: it uses anvil's public dev keys and refuses other chains."""
