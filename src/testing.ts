// The testing kit (being written): encodeStatus() and toServiceError().
export {};
