/** A container image reference: `registry/repository[:tag][@digest]`. */
export interface ImageReference {
  /** Registry and repository, without tag or digest. */
  name: string;
  tag: string | undefined;
  digest: string | undefined;
}

const DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[0-9a-fA-F]{32,}$/;

export function parseImageReference(reference: string): ImageReference {
  let rest = reference.trim();
  let digest: string | undefined;
  const at = rest.indexOf("@");
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(":");
  if (colon > rest.lastIndexOf("/")) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
  }
  return { name: rest, tag: tag === "" ? undefined : tag, digest: digest === "" ? undefined : digest };
}

/** Pinned to an immutable digest (`@sha256:…`), whatever the tag says. */
export function hasDigest(image: ImageReference): boolean {
  return image.digest !== undefined && DIGEST.test(image.digest);
}

/** Floating: no tag at all (which means `latest`) or `latest` itself, and no digest. */
export function isFloating(image: ImageReference): boolean {
  if (hasDigest(image)) return false;
  return image.tag === undefined || image.tag.toLowerCase() === "latest";
}
