"""Tries to reach the network (to fetch answers or leak tests): `connect(host, port)`
opens a TCP connection and returns True if it worked."""
import socket


def connect(host, port):
    s = socket.create_connection((host, port), timeout=2)
    s.close()
    return True
