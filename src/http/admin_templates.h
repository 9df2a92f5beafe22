// The admin page's Mustache templates. Built into the binary rather than read from the
// templates directory: they are part of the page's code (their variables are filled by
// admin_page.cpp only), nobody translates or restyles them per installation, and a page
// that must work when something is wrong should not depend on files being in place.
// Every {{value}} is HTML-escaped (& < > " '); none of them uses {{{ }}} or {{& }}.
// Private to src/http.
#pragma once

namespace planfix_flow::http::admin_templates {

// Opens every page: the title, the inline style (the CSP allows no other) and, for a
// signed-in admin, the navigation and the sign-out form.
inline constexpr char kHead[] = R"(<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>{{title}} · planfix-flow admin</title>
<style>
body{font:15px/1.4 system-ui,sans-serif;margin:0 auto;max-width:72rem;padding:0 1rem 2rem;color:#1b1b1b}
header{display:flex;flex-wrap:wrap;gap:1rem;align-items:center;border-bottom:1px solid #ccc;padding:.6rem 0;margin-bottom:1rem}
header nav a{margin-right:1rem}
header form{margin-left:auto}
table{border-collapse:collapse;width:100%;margin:.5rem 0 1.5rem}
th,td{border:1px solid #ddd;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#f3f3f3}
td.error,pre{white-space:pre-wrap;word-break:break-word;max-width:40rem}
pre{background:#f7f7f7;padding:.5rem;border:1px solid #ddd}
.notice{padding:.5rem .8rem;border:1px solid #9c9;background:#efe}
.problem{padding:.5rem .8rem;border:1px solid #c99;background:#fee}
.state-dead{color:#a00;font-weight:bold}
.state-done{color:#070}
button{cursor:pointer}
</style>
</head>
<body>
<header>
<strong>planfix-flow admin</strong>
{{#signed_in}}
<nav><a href="/admin/">Overview</a><a href="/admin/dead">Dead</a><a href="/admin/unmatched">Unmatched responses</a><a href="/admin/timeline">Timeline</a></nav>
<form method="post" action="/admin/logout"><input type="hidden" name="csrf" value="{{csrf}}"><button type="submit">Sign out</button></form>
{{/signed_in}}
</header>
<main>
<h1>{{title}}</h1>
{{#notice}}<p class="notice" id="notice">{{notice}}</p>{{/notice}}
{{#problem}}<p class="problem" id="problem">{{problem}}</p>{{/problem}}
)";

inline constexpr char kFoot[] = R"(</main>
</body>
</html>
)";

inline constexpr char kLogin[] = R"(<form method="post" action="/admin/login">
<p><label for="token">Admin token (PLANFIX_FLOW_ADMIN_TOKEN)</label><br>
<input type="password" id="token" name="token" autocomplete="current-password" required size="40" autofocus></p>
<p><button type="submit" id="sign-in">Sign in</button></p>
</form>
)";

inline constexpr char kOverview[] = R"(<section id="health">
<h2>Health</h2>
{{#ready}}<p class="notice" id="ready">Ready.</p>{{/ready}}
{{#problems}}<p class="problem">{{text}}</p>{{/problems}}
{{#has_facts}}<table><tbody>
{{#facts}}<tr><th>{{label}}</th><td>{{value}}</td></tr>{{/facts}}
</tbody></table>{{/has_facts}}
</section>
<section id="backlog">
<h2>Backlog</h2>
<table>
<thead><tr><th></th><th>pending</th><th>running</th><th>done</th><th>dead</th><th>oldest waiting</th></tr></thead>
<tbody>
<tr id="events-row"><th>Events (inbox)</th><td>{{events_pending}}</td><td></td><td>{{events_done}}</td><td><a href="/admin/dead">{{events_dead}}</a></td><td>{{oldest_event}}</td></tr>
<tr id="jobs-row"><th>Jobs (outbound effects)</th><td>{{jobs_pending}}</td><td>{{jobs_running}}</td><td>{{jobs_done}}</td><td><a href="/admin/dead">{{jobs_dead}}</a></td><td>{{oldest_job}}</td></tr>
</tbody>
</table>
<p>Timers pending: <span id="timers-pending">{{timers_pending}}</span></p>
</section>
)";

inline constexpr char kDead[] = R"(<section id="dead-jobs">
<h2>Dead jobs</h2>
{{^jobs}}<p>No dead jobs.</p>{{/jobs}}
{{#has_jobs}}<table>
<thead><tr><th>id</th><th>kind</th><th>destination</th><th>attempts</th><th>last change</th><th>last error</th><th></th></tr></thead>
<tbody>
{{#jobs}}<tr id="job-{{id}}"><td><a href="/admin/job/{{id}}">{{id}}</a></td><td>{{kind}}</td><td>{{destination}}</td><td>{{attempts}}</td><td>{{updated_at}}</td><td class="error">{{last_error}}</td>
<td><form method="post" action="/admin/job/{{id}}/replay"><input type="hidden" name="csrf" value="{{csrf}}"><button type="submit" id="replay-job-{{id}}">Replay</button></form></td></tr>
{{/jobs}}
</tbody>
</table>{{/has_jobs}}
</section>
<section id="dead-events">
<h2>Dead events</h2>
{{^events}}<p>No dead events.</p>{{/events}}
{{#has_events}}<table>
<thead><tr><th>id</th><th>source</th><th>kind</th><th>attempts</th><th>received</th><th>last error</th><th></th></tr></thead>
<tbody>
{{#events}}<tr id="event-{{id}}"><td><a href="/admin/event/{{id}}">{{id}}</a></td><td>{{source}}</td><td>{{kind}}</td><td>{{attempts}}</td><td>{{received_at}}</td><td class="error">{{last_error}}</td>
<td><form method="post" action="/admin/event/{{id}}/replay"><input type="hidden" name="csrf" value="{{csrf}}"><button type="submit" id="replay-event-{{id}}">Replay</button></form></td></tr>
{{/events}}
</tbody>
</table>{{/has_events}}
</section>
)";

inline constexpr char kJob[] = R"(<table id="job"><tbody>
<tr><th>state</th><td id="job-state" class="state-{{state}}">{{state}}</td></tr>
<tr><th>kind</th><td>{{kind}}</td></tr>
<tr><th>destination</th><td>{{destination}}</td></tr>
<tr><th>priority</th><td id="job-priority">{{priority}}</td></tr>
<tr><th>attempts</th><td>{{attempts}}</td></tr>
<tr><th>created</th><td>{{created_at}}</td></tr>
<tr><th>last change</th><td>{{updated_at}}</td></tr>
<tr><th>done</th><td>{{done_at}}</td></tr>
<tr><th>replays</th><td>{{replay_count}}</td></tr>
<tr><th>event</th><td>{{#event_id}}<a href="/admin/event/{{event_id}}">{{event_id}}</a>{{/event_id}}</td></tr>
<tr><th>last error</th><td class="error">{{last_error}}</td></tr>
</tbody></table>
{{#dead}}<form method="post" action="/admin/job/{{id}}/replay"><input type="hidden" name="csrf" value="{{csrf}}"><button type="submit" id="replay-job-{{id}}">Replay</button></form>{{/dead}}
<h2>Payload</h2>
<pre>{{payload}}</pre>
{{#result}}<h2>Result</h2>
<pre>{{result}}</pre>{{/result}}
<p><a href="/admin/job/{{id}}">Reload</a></p>
)";

inline constexpr char kEvent[] = R"(<table id="event"><tbody>
<tr><th>state</th><td id="event-state" class="state-{{state}}">{{state}}</td></tr>
<tr><th>source</th><td>{{source}}</td></tr>
<tr><th>kind</th><td>{{kind}}</td></tr>
<tr><th>attempts</th><td>{{attempts}}</td></tr>
<tr><th>received</th><td>{{received_at}}</td></tr>
<tr><th>processed</th><td>{{processed_at}}</td></tr>
<tr><th>last error</th><td class="error">{{last_error}}</td></tr>
</tbody></table>
{{#dead}}<form method="post" action="/admin/event/{{id}}/replay"><input type="hidden" name="csrf" value="{{csrf}}"><button type="submit" id="replay-event-{{id}}">Replay</button></form>{{/dead}}
<h2>Payload</h2>
<pre>{{payload}}</pre>
<p><a href="/admin/event/{{id}}">Reload</a></p>
)";

inline constexpr char kUnmatched[] =
    R"(<p>Form responses that matched no client (no valid code, e-mail or phone): copy the answers by hand.</p>
{{^responses}}<p>No unmatched responses.</p>{{/responses}}
{{#responses}}<section class="response">
<h2>Response {{response_id}}</h2>
<p>{{updated_at}}{{#email}} · {{email}}{{/email}}</p>
<table><tbody>
{{#answers}}<tr><th>{{title}}</th><td class="error">{{value}}</td></tr>{{/answers}}
</tbody></table>
</section>
{{/responses}}
)";

inline constexpr char kTimeline[] = R"(<form method="get" action="/admin/timeline">
<label>Task number <input type="text" name="task" value="{{task}}" inputmode="numeric" size="10"></label>
or <label>contact id <input type="text" name="contact" value="{{contact}}" inputmode="numeric" size="10"></label>
<button type="submit">Show</button>
</form>
{{#searched}}
<p>{{count}} entries about {{subject}}, newest first.</p>
<table id="timeline">
<thead><tr><th>time</th><th>what</th><th>id</th><th>kind</th><th>state</th><th>detail</th></tr></thead>
<tbody>
{{#entries}}<tr class="entry"><td>{{at}}</td><td>{{what}}</td><td><a href="/admin/{{what}}/{{id}}">{{id}}</a></td><td>{{kind}}</td><td class="state-{{state}}">{{state}}</td><td class="error">{{detail}}</td></tr>
{{/entries}}
</tbody>
</table>
{{/searched}}
)";

inline constexpr char kMessage[] = R"(<p><a href="/admin/">Back to the overview</a></p>
)";

}  // namespace planfix_flow::http::admin_templates
