"""The classroom: network boot and one master image streamed to many laptops."""
