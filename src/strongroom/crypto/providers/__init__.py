"""Where key material lives: software (sealed by the barrier), HSM (PKCS#11), external (EKM)."""
