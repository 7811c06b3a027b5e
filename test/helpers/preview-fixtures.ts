/** A message whose HTML tries to run script and load a tracker, and its rewritten form. */
export const HOSTILE = Buffer.from(
  [
    'From: a@partner.example',
    'Subject: Offer',
    'Content-Type: multipart/alternative; boundary=b',
    '',
    '--b',
    'Content-Type: text/plain',
    '',
    'Plain <offer> & more',
    '--b',
    'Content-Type: text/html',
    '',
    '<html><body onload="steal()"><script>document.body.setAttribute("data-ran", "yes")</script><img src="https://tracker.example/p.gif">"Quoted" offer</body></html>',
    '--b--',
    '',
  ].join('\r\n'),
);
export const REWRITTEN = Buffer.from(
  HOSTILE.toString()
    .replace('Subject: Offer', 'Subject: [EXTERNAL] Offer')
    .replace('<body onload="steal()">', '<body onload="steal()"><div>EXTERNAL SENDER</div>'),
);
