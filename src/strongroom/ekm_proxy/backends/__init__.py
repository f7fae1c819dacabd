"""Where the proxy's key material lives: a sealed software keystore or a PKCS#11 token."""
