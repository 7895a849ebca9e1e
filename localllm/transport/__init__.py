"""The only layer that touches sockets: it carries out the commands of a pure flow."""
