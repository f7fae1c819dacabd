"""Transports: parse a request, call one service function, render the result."""
