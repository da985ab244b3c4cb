export const answer = "module service worker evaluated";
