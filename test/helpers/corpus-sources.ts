/** The Debian packages local/fetch-corpus.sh takes real-world test mail from (its `sources`). */
export const CORPUS_SOURCES = [
  'golang-github-gatherstars-com-jwz-dev',
  'libmime-explode-perl',
  'mailman3',
  'python3-django-hyperkitty',
  'spamassassin',
];
