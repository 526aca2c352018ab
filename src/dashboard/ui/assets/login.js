/** The login page: language, the error after a wrong token, and where to go after logging in. */
import { lang, setLang, t, translateStatic } from './i18n.js';

const params = new URLSearchParams(location.search);
const next = params.get('next');
if (next && next.startsWith('/ui/')) document.getElementById('next').value = next;
document.getElementById('login-error').hidden = params.get('error') !== 'token';
const theme = localStorage.getItem('ap-theme');
if (theme === 'light' || theme === 'dark') document.documentElement.setAttribute('data-theme', theme);

function draw() {
  translateStatic();
  document.getElementById('lang').textContent = t('tools.lang');
  document.title = `fp-autopilot · ${t('login.submit')}`;
}
document.getElementById('lang').addEventListener('click', () => {
  setLang(lang() === 'zh' ? 'en' : 'zh');
  draw();
});
draw();
