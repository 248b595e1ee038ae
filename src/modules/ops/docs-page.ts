/**
 * The API reference at /docs: a small page that renders /v1/openapi.json in the browser.
 * Self-contained on purpose: it must work on a laptop with no network.
 */
export function docsPage(specUrl: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Crowdstart API reference</title>
<style>
body{font:15px/1.5 system-ui,sans-serif;margin:0;color:#1d2330;background:#fafbfc}
header{background:#1d2330;color:#fff;padding:16px 32px}header h1{margin:0;font-size:20px}
main{max-width:1000px;margin:0 auto;padding:24px 32px}
.op{background:#fff;border:1px solid #e3e6eb;border-radius:6px;margin:10px 0}
.op summary{cursor:pointer;padding:10px 14px;display:flex;gap:12px;align-items:center}
.m{font:600 12px monospace;padding:2px 8px;border-radius:4px;color:#fff;min-width:52px;text-align:center}
.get{background:#2f7d4f}.post{background:#2b5fb4}.patch{background:#a06a12}.delete{background:#b43b2b}.put{background:#6b3fa0}
code,pre{font-family:ui-monospace,monospace;font-size:13px}pre{background:#f3f5f8;padding:10px;overflow:auto;border-radius:4px}
.body{padding:0 14px 12px}h2{margin-top:32px;border-bottom:1px solid #e3e6eb}.sec{color:#677;font-size:13px}
</style></head><body><header><h1>Crowdstart API reference</h1></header><main id="root">Loading ${specUrl}…</main>
<script>
const esc=(s)=>String(s??'').replace(/[&<>"]/g,(c)=>({'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;'}[c]));
fetch(${JSON.stringify(specUrl)}).then(r=>r.json()).then(spec=>{
  const byTag={};
  for(const [p,ops] of Object.entries(spec.paths||{}))for(const [m,op] of Object.entries(ops)){
    const t=(op.tags&&op.tags[0])||'Other';(byTag[t]??=[]).push({p,m,op});}
  let html='<p>'+esc(spec.info.description)+'</p><p>Machine-readable: <a href="${specUrl}">${specUrl}</a></p>';
  for(const [tag,ops] of Object.entries(byTag)){
    html+='<h2>'+esc(tag)+'</h2>';
    for(const {p,m,op} of ops){
      const sec=(op.security||[]).map(s=>Object.keys(s)[0]).join(' or ')||'none';
      html+='<details class="op"><summary><span class="m '+m+'">'+m.toUpperCase()+'</span><code>'+esc(p)+'</code><span>'+esc(op.summary)+'</span></summary><div class="body">'
        +'<p class="sec">Auth: '+esc(sec)+'</p>'
        +((op.parameters||[]).length?'<p><b>Parameters</b></p><pre>'+esc((op.parameters||[]).map(x=>x.in+' '+x.name+(x.required?' (required)':'')).join('\\n'))+'</pre>':'')
        +(op.requestBody?'<p><b>Body</b></p><pre>'+esc(JSON.stringify(op.requestBody.content['application/json']?.schema,null,2))+'</pre>':'')
        +'<p><b>Responses</b>: '+esc(Object.keys(op.responses||{}).join(', '))+'</p></div></details>';
    }
  }
  document.getElementById('root').innerHTML=html;
}).catch(e=>{document.getElementById('root').textContent='Could not load the spec: '+e});
</script></body></html>`;
}
