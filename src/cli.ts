// The decode CLI (being written).
export {};
