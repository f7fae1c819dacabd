"""The OCI adapter of work requests (WorkRequestClient, /20160918/workRequests) and of the
replication status extension (/20180608/secrets/{secretId}/replicationStatus)."""
