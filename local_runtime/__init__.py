"""The whole pipeline on one machine: the services' real code on an embedded AWS (moto)."""
