// No configuration: a Next.js app uses inproc as it is.
export default {};
