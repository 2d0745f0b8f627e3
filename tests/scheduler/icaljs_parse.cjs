// Reads iCalendar text on stdin with ical.js and writes each VEVENT's UID, SEQUENCE, LOCATION and CONFERENCE as JSON.
const ICAL = require(process.argv[2]);
const chunks = [];
process.stdin.on('data', c => chunks.push(c));
process.stdin.on('end', () => {
  const comp = new ICAL.Component(ICAL.parse(Buffer.concat(chunks).toString('utf8')));
  const out = comp.getAllSubcomponents('vevent').map(v => {
    const e = new ICAL.Event(v);
    const conf = v.getFirstProperty('conference');
    return {uid: e.uid, sequence: e.sequence, location: e.location,
            conference: conf ? conf.getFirstValue() : null,
            feature: conf ? conf.getParameter('feature') : null,
            start: e.startDate.toJSDate().toISOString()};
  });
  process.stdout.write(JSON.stringify(out));
});
