/**
 * Environment variables the function reads. The CDK stack sets them from these same constants,
 * so the two cannot drift apart.
 */
export const ENV = {
  bucket: 'MESSAGE_BUCKET',
  keyPrefix: 'MESSAGE_KEY_PREFIX',
  subjectTag: 'SUBJECT_TAG',
  textBanner: 'TEXT_BANNER',
  htmlBanner: 'HTML_BANNER',
  textFooter: 'TEXT_FOOTER',
  htmlFooter: 'HTML_FOOTER',
  markerHeader: 'MARKER_HEADER',
  directions: 'REWRITE_DIRECTIONS',
} as const;
