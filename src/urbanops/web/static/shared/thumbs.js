/* Thumbnails of photos that may not be uploaded yet: a photo kept on the phone is a File/Blob,
   shown through an object URL made here (never a stored string); an uploaded one is shown by
   its safe /media/ URL. */
import { safeUrl } from "./html.js";

const blobUrls = new WeakMap();

/** The src for `p` ({blob?, thumb?, url?}), or null. */
export function photoSrc(p) {
  if (p.blob instanceof Blob) {
    if (!blobUrls.has(p.blob)) blobUrls.set(p.blob, URL.createObjectURL(p.blob));
    return blobUrls.get(p.blob);
  }
  return safeUrl(p.thumb) || safeUrl(p.url);
}

/** An <img> of `p`. */
export function thumbImg(p) {
  const img = document.createElement("img");
  img.alt = "";
  const src = photoSrc(p);
  if (src) img.src = src;
  return img;
}
