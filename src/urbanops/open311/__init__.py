"""The Open311 GeoReport v2 server at `/open311/v2/`: discovery, services and their definitions,
service requests (create, query, one), the mySociety `servicerequestupdates` extension, XML and
JSON output, and errors in the Open311 format only."""
