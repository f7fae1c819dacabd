"""The Alibaba Cloud KMS API 2016-01-20 dialect (RPC actions, ACS3-HMAC-SHA256 and HMAC-SHA1
signatures); see DESIGN.md."""
