"""One module per server family: request bodies, stream parsing, error and listing shapes."""
