// Reads an iCalendar document on stdin, parses it with ical.js and prints its events as JSON:
// [{"uid", "summary", "start", "end", "tzid"}], times as UTC ISO strings. Exit 1 on a parse error.
import ICAL from "ical.js";

let text = "";
process.stdin.setEncoding("utf8");
for await (const chunk of process.stdin) text += chunk;

try {
  const calendar = new ICAL.Component(ICAL.parse(text));
  for (const tz of calendar.getAllSubcomponents("vtimezone")) {
    ICAL.TimezoneService.register(tz);
  }
  const events = calendar.getAllSubcomponents("vevent").map((vevent) => {
    const event = new ICAL.Event(vevent);
    return {
      uid: event.uid,
      summary: event.summary,
      start: event.startDate.toJSDate().toISOString(),
      end: event.endDate.toJSDate().toISOString(),
      tzid: event.startDate.zone ? event.startDate.zone.tzid : null,
    };
  });
  process.stdout.write(JSON.stringify({ version: calendar.getFirstPropertyValue("version"), events }));
} catch (error) {
  process.stderr.write(`ical.js could not parse the feed: ${error}\n`);
  process.exit(1);
}
