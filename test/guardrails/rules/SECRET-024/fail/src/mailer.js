import formData from "form-data";
import Mailgun from "mailgun.js";

const mailgun = new Mailgun(formData);
export const mg = mailgun.client({
  username: "api",
  key: "key-e651aa5cb30c386d5e2994a665e5d52d",
  url: "https://api.eu.mailgun.net",
});
